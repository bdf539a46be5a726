CREATE INDEX `delivery_rollups_age_idx` ON `delivery_rollups` (`granularity`,`bucket_start`);--> statement-breakpoint
CREATE INDEX `platform_rollups_age_idx` ON `platform_rollups` (`granularity`,`bucket_start`);--> statement-breakpoint
CREATE INDEX `uptime_rollups_age_idx` ON `uptime_rollups` (`granularity`,`bucket_start`);