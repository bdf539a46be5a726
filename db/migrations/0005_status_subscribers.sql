CREATE TABLE `status_subscribers` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`channel` text NOT NULL,
	`email` text NOT NULL,
	`status` text NOT NULL,
	`created_at` integer NOT NULL,
	`confirmed_at` integer,
	`unsubscribed_at` integer,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `status_subscribers_email_idx` ON `status_subscribers` (`workspace_id`,`email`);--> statement-breakpoint
CREATE INDEX `status_subscribers_created_idx` ON `status_subscribers` (`workspace_id`,`created_at`);