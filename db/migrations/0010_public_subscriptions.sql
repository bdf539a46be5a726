-- Hand-edited: drizzle-kit copied the new columns from the old tables, where SQLite would read each
-- missing "column" as a string literal; they are filled with their defaults instead.
CREATE TABLE `status_announcements` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`kind` text NOT NULL,
	`incident_id` text,
	`incident_update_id` text,
	`maintenance_id` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `status_announcements_maintenance_idx` ON `status_announcements` (`maintenance_id`,`kind`);--> statement-breakpoint
CREATE INDEX `status_announcements_workspace_idx` ON `status_announcements` (`workspace_id`,`created_at`);--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_notifications` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`audience` text DEFAULT 'admin' NOT NULL,
	`alert_id` text,
	`announcement_id` text,
	`subscription_id` text NOT NULL,
	`channel` text NOT NULL,
	`kind` text NOT NULL,
	`group_key` text NOT NULL,
	`dedup_key` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`reason` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`due_at` integer NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`deadline_at` integer NOT NULL,
	`locked_by` text,
	`locked_until` integer,
	`last_error` text,
	`last_status_code` integer,
	`message_id` text,
	`created_at` integer NOT NULL,
	`delivered_at` integer
);
--> statement-breakpoint
INSERT INTO `__new_notifications`("id", "workspace_id", "audience", "alert_id", "announcement_id", "subscription_id", "channel", "kind", "group_key", "dedup_key", "status", "reason", "attempts", "due_at", "next_attempt_at", "deadline_at", "locked_by", "locked_until", "last_error", "last_status_code", "message_id", "created_at", "delivered_at") SELECT "id", "workspace_id", 'admin', "alert_id", NULL, "subscription_id", "channel", "kind", "group_key", "dedup_key", "status", "reason", "attempts", "due_at", "next_attempt_at", "deadline_at", "locked_by", "locked_until", "last_error", "last_status_code", "message_id", "created_at", "delivered_at" FROM `notifications`;--> statement-breakpoint
DROP TABLE `notifications`;--> statement-breakpoint
ALTER TABLE `__new_notifications` RENAME TO `notifications`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `notifications_dedup_idx` ON `notifications` (`dedup_key`);--> statement-breakpoint
CREATE INDEX `notifications_due_idx` ON `notifications` (`audience`,`next_attempt_at`) WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX `notifications_workspace_idx` ON `notifications` (`workspace_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `__new_status_subscribers` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`channel` text NOT NULL,
	`email` text,
	`endpoint` text,
	`push_keys` text,
	`secret_ciphertext` text,
	`status` text NOT NULL,
	`created_at` integer NOT NULL,
	`confirm_sent_at` integer,
	`confirmed_at` integer,
	`unsubscribed_at` integer,
	`unsubscribed_reason` text,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_status_subscribers`("id", "workspace_id", "channel", "email", "endpoint", "push_keys", "secret_ciphertext", "status", "created_at", "confirm_sent_at", "confirmed_at", "unsubscribed_at", "unsubscribed_reason") SELECT "id", "workspace_id", "channel", "email", NULL, NULL, NULL, "status", "created_at", NULL, "confirmed_at", "unsubscribed_at", NULL FROM `status_subscribers`;--> statement-breakpoint
DROP TABLE `status_subscribers`;--> statement-breakpoint
ALTER TABLE `__new_status_subscribers` RENAME TO `status_subscribers`;--> statement-breakpoint
CREATE UNIQUE INDEX `status_subscribers_email_idx` ON `status_subscribers` (`workspace_id`,`email`);--> statement-breakpoint
CREATE UNIQUE INDEX `status_subscribers_endpoint_idx` ON `status_subscribers` (`workspace_id`,`endpoint`);--> statement-breakpoint
CREATE INDEX `status_subscribers_created_idx` ON `status_subscribers` (`workspace_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `status_subscribers_confirmed_idx` ON `status_subscribers` (`workspace_id`,`status`);