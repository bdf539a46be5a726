CREATE TABLE `alert_events` (
	`id` text PRIMARY KEY NOT NULL,
	`alert_id` text NOT NULL,
	`workspace_id` text NOT NULL,
	`kind` text NOT NULL,
	`at` integer NOT NULL,
	`detail` text
);
--> statement-breakpoint
CREATE INDEX `alert_events_alert_idx` ON `alert_events` (`alert_id`,`at`);--> statement-breakpoint
CREATE TABLE `alert_rules` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`kind` text NOT NULL,
	`name` text NOT NULL,
	`severity` text NOT NULL,
	`for_ms` integer DEFAULT 0 NOT NULL,
	`repeat_interval_ms` integer DEFAULT 14400000 NOT NULL,
	`params` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `alert_rules_workspace_idx` ON `alert_rules` (`workspace_id`);--> statement-breakpoint
CREATE TABLE `alert_subscriptions` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`channel` text NOT NULL,
	`target` text NOT NULL,
	`label` text,
	`push_keys` text,
	`secret_ciphertext` text,
	`severities` text NOT NULL,
	`rule_ids` text NOT NULL,
	`device_ids` text NOT NULL,
	`delay_ms` integer DEFAULT 0 NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL,
	`removed_at` integer,
	`removed_reason` text,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `alert_subscriptions_workspace_idx` ON `alert_subscriptions` (`workspace_id`);--> statement-breakpoint
CREATE TABLE `alerts` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`rule_id` text NOT NULL,
	`dedupe_key` text NOT NULL,
	`subject_type` text NOT NULL,
	`subject_id` text,
	`subject_name` text NOT NULL,
	`state` text NOT NULL,
	`severity` text NOT NULL,
	`summary` text NOT NULL,
	`started_at` integer NOT NULL,
	`fired_at` integer,
	`resolved_at` integer,
	`last_notified_at` integer,
	`clear_since` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `alerts_open_dedupe_idx` ON `alerts` (`workspace_id`,`dedupe_key`) WHERE state != 'resolved';--> statement-breakpoint
CREATE INDEX `alerts_workspace_started_idx` ON `alerts` (`workspace_id`,`started_at`);--> statement-breakpoint
CREATE TABLE `instance_settings` (
	`name` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `notification_attempts` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`message_id` text NOT NULL,
	`subscription_id` text NOT NULL,
	`channel` text NOT NULL,
	`notification_ids` text NOT NULL,
	`title` text NOT NULL,
	`at` integer NOT NULL,
	`ok` integer NOT NULL,
	`status_code` integer,
	`error` text
);
--> statement-breakpoint
CREATE INDEX `notification_attempts_workspace_idx` ON `notification_attempts` (`workspace_id`,`at`);--> statement-breakpoint
CREATE TABLE `notifications` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`alert_id` text NOT NULL,
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
CREATE UNIQUE INDEX `notifications_dedup_idx` ON `notifications` (`dedup_key`);--> statement-breakpoint
CREATE INDEX `notifications_due_idx` ON `notifications` (`next_attempt_at`) WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX `notifications_workspace_idx` ON `notifications` (`workspace_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `silences` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`rule_id` text,
	`device_id` text,
	`component_id` text,
	`comment` text,
	`starts_at` integer NOT NULL,
	`ends_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `silences_workspace_idx` ON `silences` (`workspace_id`,`ends_at`);