CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`name` text NOT NULL,
	`scope` text DEFAULT 'admin' NOT NULL,
	`token_hash` text NOT NULL,
	`prefix` text NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_token_hash_unique` ON `api_keys` (`token_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_workspace_idx` ON `api_keys` (`workspace_id`);--> statement-breakpoint
CREATE TABLE `components` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`layer` text NOT NULL,
	`source` text NOT NULL,
	`position` integer DEFAULT 0 NOT NULL,
	`override_status` text,
	`override_until` integer,
	`thresholds` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `components_workspace_idx` ON `components` (`workspace_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `components_source_idx` ON `components` (`workspace_id`,`source`);--> statement-breakpoint
CREATE TABLE `devices` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`name` text NOT NULL,
	`token_hash` text NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`weight` integer DEFAULT 1 NOT NULL,
	`group_name` text,
	`sim_rate_per_minute` integer DEFAULT 30 NOT NULL,
	`sim_rate_per_day` integer DEFAULT 2000 NOT NULL,
	`enrolled_at` integer NOT NULL,
	`paused_at` integer,
	`revoked_at` integer,
	`heartbeat_interval_ms` integer NOT NULL,
	`last_heartbeat_at` integer,
	`prev_heartbeat_at` integer,
	`coverage_end_at` integer,
	`last_run_id` text,
	`last_boot_id` text,
	`last_seq` integer,
	`last_gap_kind` text,
	`clock_skew_ms` integer,
	`app_version` text,
	`last_health` text,
	`liveness_state` text DEFAULT 'offline' NOT NULL,
	`liveness_changed_at` integer,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `devices_token_hash_unique` ON `devices` (`token_hash`);--> statement-breakpoint
CREATE INDEX `devices_workspace_idx` ON `devices` (`workspace_id`,`status`);--> statement-breakpoint
CREATE TABLE `enrollment_codes` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`code_hash` text NOT NULL,
	`device_name` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	`used_by_device_id` text,
	`revoked_at` integer,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `enrollment_codes_code_hash_unique` ON `enrollment_codes` (`code_hash`);--> statement-breakpoint
CREATE INDEX `enrollment_codes_workspace_idx` ON `enrollment_codes` (`workspace_id`);--> statement-breakpoint
CREATE TABLE `heartbeats` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`workspace_id` text NOT NULL,
	`device_id` text NOT NULL,
	`received_at` integer NOT NULL,
	`interval_ms` integer NOT NULL,
	`device_time` integer NOT NULL,
	`run_id` text NOT NULL,
	`boot_id` text NOT NULL,
	`seq` integer NOT NULL,
	`monotonic_ms` integer NOT NULL,
	`gap_kind` text NOT NULL,
	`app_version` text NOT NULL,
	`driver_status` text NOT NULL,
	`battery_pct` integer,
	`charging` integer,
	`battery_temp_c` integer,
	`network_type` text,
	`signal_dbm` integer,
	`queue_depth` integer NOT NULL,
	`oldest_pending_age_s` integer,
	`payload` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `heartbeats_device_time_idx` ON `heartbeats` (`device_id`,`received_at`);--> statement-breakpoint
CREATE INDEX `heartbeats_received_idx` ON `heartbeats` (`received_at`);--> statement-breakpoint
CREATE TABLE `message_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`message_id` text NOT NULL,
	`workspace_id` text NOT NULL,
	`device_id` text,
	`attempt` integer NOT NULL,
	`status` text NOT NULL,
	`at` integer NOT NULL,
	`device_at` integer,
	`source` text NOT NULL,
	`applied` integer NOT NULL,
	`error_code` text,
	`detail` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `message_events_dedupe_idx` ON `message_events` (`message_id`,`attempt`,`status`);--> statement-breakpoint
CREATE INDEX `message_events_workspace_at_idx` ON `message_events` (`workspace_id`,`at`);--> statement-breakpoint
CREATE TABLE `messages` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`recipient` text NOT NULL,
	`body` text NOT NULL,
	`encoding` text NOT NULL,
	`segments` integer NOT NULL,
	`status` text NOT NULL,
	`state_rank` integer NOT NULL,
	`attempt` integer DEFAULT 0 NOT NULL,
	`device_id` text,
	`sim_slot` integer,
	`carrier` text,
	`preferred_device_id` text,
	`device_group` text,
	`idempotency_key` text,
	`request_hash` text,
	`metadata` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`deadline_at` integer,
	`next_attempt_at` integer,
	`leased_at` integer,
	`avoid_device_id` text,
	`retries` integer DEFAULT 0 NOT NULL,
	`delivery_reports` integer,
	`submitted_at` integer,
	`sent_at` integer,
	`completed_at` integer,
	`error_code` text,
	`error_message` text,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `messages_idempotency_idx` ON `messages` (`workspace_id`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `messages_workspace_created_idx` ON `messages` (`workspace_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `messages_status_deadline_idx` ON `messages` (`status`,`deadline_at`);--> statement-breakpoint
CREATE INDEX `messages_device_status_idx` ON `messages` (`device_id`,`status`);--> statement-breakpoint
CREATE INDEX `messages_queue_idx` ON `messages` (`workspace_id`,`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `messages_leased_idx` ON `messages` (`workspace_id`,`leased_at`);--> statement-breakpoint
CREATE TABLE `delivery_rollups` (
	`scope_key` text NOT NULL,
	`granularity` text NOT NULL,
	`bucket_start` integer NOT NULL,
	`delivered` integer DEFAULT 0 NOT NULL,
	`failed` integer DEFAULT 0 NOT NULL,
	`undelivered` integer DEFAULT 0 NOT NULL,
	`delivery_unknown` integer DEFAULT 0 NOT NULL,
	`expired` integer DEFAULT 0 NOT NULL,
	`sent_unconfirmed` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`scope_key`, `granularity`, `bucket_start`)
);
--> statement-breakpoint
CREATE TABLE `device_pauses` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`device_id` text NOT NULL,
	`workspace_id` text NOT NULL,
	`paused_at` integer NOT NULL,
	`resumed_at` integer
);
--> statement-breakpoint
CREATE INDEX `device_pauses_device_idx` ON `device_pauses` (`device_id`);--> statement-breakpoint
CREATE INDEX `device_pauses_workspace_idx` ON `device_pauses` (`workspace_id`);--> statement-breakpoint
CREATE TABLE `platform_rollups` (
	`scope_key` text NOT NULL,
	`granularity` text NOT NULL,
	`bucket_start` integer NOT NULL,
	`probes_ok` integer DEFAULT 0 NOT NULL,
	`probes_total` integer DEFAULT 0 NOT NULL,
	`requests` integer DEFAULT 0 NOT NULL,
	`errors_5xx` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`scope_key`, `granularity`, `bucket_start`)
);
--> statement-breakpoint
CREATE TABLE `uptime_rollups` (
	`scope_key` text NOT NULL,
	`granularity` text NOT NULL,
	`bucket_start` integer NOT NULL,
	`online_ms` integer DEFAULT 0 NOT NULL,
	`heartbeats` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`scope_key`, `granularity`, `bucket_start`)
);
--> statement-breakpoint
CREATE TABLE `sim_usage_minutes` (
	`device_id` text NOT NULL,
	`sim_slot` integer NOT NULL,
	`minute` integer NOT NULL,
	`segments` integer NOT NULL,
	PRIMARY KEY(`device_id`, `sim_slot`, `minute`)
);
--> statement-breakpoint
CREATE TABLE `slos` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`name` text NOT NULL,
	`indicator` text NOT NULL,
	`scope` text DEFAULT 'workspace' NOT NULL,
	`scope_id` text,
	`target` real NOT NULL,
	`window_days` integer NOT NULL,
	`min_events` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `slos_workspace_idx` ON `slos` (`workspace_id`);--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`webhook_id` text NOT NULL,
	`event_type` text NOT NULL,
	`payload` text NOT NULL,
	`dedup_key` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`deadline_at` integer NOT NULL,
	`locked_by` text,
	`locked_until` integer,
	`last_error` text,
	`last_status_code` integer,
	`created_at` integer NOT NULL,
	`delivered_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `webhook_deliveries_dedup_idx` ON `webhook_deliveries` (`dedup_key`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_due_idx` ON `webhook_deliveries` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_workspace_idx` ON `webhook_deliveries` (`workspace_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `webhooks` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`url` text NOT NULL,
	`description` text,
	`secret_ciphertext` text NOT NULL,
	`event_types` text,
	`created_at` integer NOT NULL,
	`disabled_at` integer,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `webhooks_workspace_idx` ON `webhooks` (`workspace_id`);--> statement-breakpoint
CREATE TABLE `workspaces` (
	`id` text PRIMARY KEY NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`heartbeat_interval_ms` integer DEFAULT 30000 NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `workspaces_slug_unique` ON `workspaces` (`slug`);--> statement-breakpoint
CREATE TABLE `maintenances` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`title` text NOT NULL,
	`description` text,
	`starts_at` integer NOT NULL,
	`ends_at` integer NOT NULL,
	`component_ids` text,
	`created_at` integer NOT NULL,
	`cancelled_at` integer,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `maintenances_workspace_time_idx` ON `maintenances` (`workspace_id`,`starts_at`);