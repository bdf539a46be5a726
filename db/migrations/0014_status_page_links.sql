ALTER TABLE `workspaces` ADD `about` text;--> statement-breakpoint
ALTER TABLE `workspaces` ADD `website_url` text;--> statement-breakpoint
ALTER TABLE `workspaces` ADD `support_url` text;