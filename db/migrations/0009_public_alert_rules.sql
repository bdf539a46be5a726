ALTER TABLE `alert_rules` ADD `public` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `alerts` ADD `incident_id` text;--> statement-breakpoint
UPDATE `alert_rules` SET `public` = 1 WHERE `kind` = 'probe_down';--> statement-breakpoint
INSERT INTO `alert_rules` (`id`, `workspace_id`, `kind`, `name`, `severity`, `for_ms`, `repeat_interval_ms`, `params`, `enabled`, `public`, `created_at`, `updated_at`)
	SELECT 'rul_' || lower(hex(randomblob(10))), `workspace_id`, 'fleet_offline', 'Many devices offline', 'page', 0, 14400000, '{"minShare":0.2,"minDevices":2}', 1, 1, MAX(`created_at`), MAX(`created_at`)
	FROM `alert_rules` GROUP BY `workspace_id`;
