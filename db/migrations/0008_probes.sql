CREATE TABLE `probe_results` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`probe_id` text NOT NULL,
	`workspace_id` text NOT NULL,
	`checked_at` integer NOT NULL,
	`status` text NOT NULL,
	`component_status` text,
	`latency_ms` integer,
	`attempts` integer NOT NULL,
	`detail` text NOT NULL,
	`data` text
);
--> statement-breakpoint
CREATE INDEX `probe_results_probe_idx` ON `probe_results` (`probe_id`,`checked_at`);--> statement-breakpoint
CREATE INDEX `probe_results_checked_idx` ON `probe_results` (`checked_at`);--> statement-breakpoint
CREATE TABLE `probes` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`component_id` text,
	`config` text NOT NULL,
	`secret_ciphertext` text,
	`interval_ms` integer NOT NULL,
	`timeout_ms` integer NOT NULL,
	`retries` integer DEFAULT 0 NOT NULL,
	`allow_private` integer DEFAULT false NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`next_run_at` integer NOT NULL,
	`lease_until` integer,
	`last_status` text,
	`last_checked_at` integer,
	`last_component_status` text,
	`last_known_at` integer,
	`last_detail` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `probes_workspace_idx` ON `probes` (`workspace_id`);--> statement-breakpoint
CREATE INDEX `probes_due_idx` ON `probes` (`enabled`,`next_run_at`);