CREATE TABLE `sms_canaries` (
	`id` text PRIMARY KEY NOT NULL,
	`probe_id` text NOT NULL,
	`workspace_id` text NOT NULL,
	`message_id` text NOT NULL,
	`nonce` text NOT NULL,
	`from_device_id` text NOT NULL,
	`to_device_id` text NOT NULL,
	`to_number` text NOT NULL,
	`created_at` integer NOT NULL,
	`received_at` integer,
	`device_received_at` integer,
	`received_from` text,
	`received_sim_slot` integer,
	`judged_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sms_canaries_nonce_idx` ON `sms_canaries` (`nonce`);--> statement-breakpoint
CREATE INDEX `sms_canaries_probe_idx` ON `sms_canaries` (`probe_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `sms_canaries_created_idx` ON `sms_canaries` (`created_at`);--> statement-breakpoint
ALTER TABLE `messages` ADD `purpose` text DEFAULT 'customer' NOT NULL;--> statement-breakpoint
ALTER TABLE `messages` ADD `pinned_sim_slot` integer;