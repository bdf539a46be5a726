ALTER TABLE `workspaces` ADD `custom_domain` text;--> statement-breakpoint
CREATE UNIQUE INDEX `workspaces_custom_domain_unique` ON `workspaces` (`custom_domain`);