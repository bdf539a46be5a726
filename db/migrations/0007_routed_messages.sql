DROP INDEX `messages_queued_idx`;--> statement-breakpoint
ALTER TABLE `messages` ADD `routed_device_id` text;--> statement-breakpoint
ALTER TABLE `messages` ADD `routed_sim_slot` integer;--> statement-breakpoint
CREATE INDEX `messages_routing_idx` ON `messages` (`workspace_id`,`routed_device_id`,`created_at`,`id`,`routed_sim_slot`,`segments`) WHERE status = 'queued';