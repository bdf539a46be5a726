CREATE TABLE `observation_steps` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`workspace_id` text NOT NULL,
	`device_id` text NOT NULL,
	`at` integer NOT NULL,
	`delta` integer NOT NULL,
	`devices` integer DEFAULT 0 NOT NULL,
	`observed_ms` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `observation_steps_workspace_at_idx` ON `observation_steps` (`workspace_id`,`at`);--> statement-breakpoint
-- Running sums of a new step (observed devices from `at` on, device-ms observed before `at`) from the step
-- before it in (at, id) order; steps already recorded after it absorb its change.
CREATE TRIGGER `observation_steps_running_sums` AFTER INSERT ON `observation_steps`
BEGIN
	UPDATE `observation_steps`
		SET `devices` = `devices` + NEW.`delta`, `observed_ms` = `observed_ms` + NEW.`delta` * (`at` - NEW.`at`)
		WHERE `workspace_id` = NEW.`workspace_id` AND `at` > NEW.`at`;
	UPDATE `observation_steps`
		SET `devices` = NEW.`delta` + COALESCE((
				SELECT p.`devices` FROM `observation_steps` p
				WHERE p.`workspace_id` = NEW.`workspace_id` AND p.`at` <= NEW.`at` AND p.`id` < NEW.`id`
				ORDER BY p.`at` DESC, p.`id` DESC LIMIT 1), 0),
			`observed_ms` = COALESCE((
				SELECT p.`observed_ms` + p.`devices` * (NEW.`at` - p.`at`) FROM `observation_steps` p
				WHERE p.`workspace_id` = NEW.`workspace_id` AND p.`at` <= NEW.`at` AND p.`id` < NEW.`id`
				ORDER BY p.`at` DESC, p.`id` DESC LIMIT 1), 0)
		WHERE `id` = NEW.`id`;
END;
--> statement-breakpoint
-- Backfill: the steps of every device and pause recorded so far, in time order.
INSERT INTO `observation_steps` (`workspace_id`, `device_id`, `at`, `delta`)
SELECT `workspace_id`, `device_id`, `at`, `delta` FROM (
	SELECT `workspace_id`, `id` AS `device_id`, `enrolled_at` AS `at`, 1 AS `delta` FROM `devices`
	UNION ALL
	SELECT d.`workspace_id`, d.`id`, MAX(d.`revoked_at`, d.`enrolled_at`), -1 FROM `devices` d
	WHERE d.`revoked_at` IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM `device_pauses` p WHERE p.`device_id` = d.`id` AND p.`resumed_at` IS NULL)
	UNION ALL
	SELECT `workspace_id`, `device_id`, `paused_at`, -1 FROM `device_pauses`
	UNION ALL
	SELECT `workspace_id`, `device_id`, `resumed_at`, 1 FROM `device_pauses` WHERE `resumed_at` IS NOT NULL
)
ORDER BY `workspace_id`, `at`, `delta` DESC;
--> statement-breakpoint
-- Enrolment: +1 (and -1 at revocation for a device recorded as revoked already).
CREATE TRIGGER `devices_observation_enrolled` AFTER INSERT ON `devices`
BEGIN
	INSERT INTO `observation_steps` (`workspace_id`, `device_id`, `at`, `delta`)
		VALUES (NEW.`workspace_id`, NEW.`id`, NEW.`enrolled_at`, 1);
	INSERT INTO `observation_steps` (`workspace_id`, `device_id`, `at`, `delta`)
		SELECT NEW.`workspace_id`, NEW.`id`, MAX(NEW.`revoked_at`, NEW.`enrolled_at`), -1
		WHERE NEW.`revoked_at` IS NOT NULL;
END;
--> statement-breakpoint
-- Revocation: -1, unless the device is paused (its open pause already took it out, for good).
CREATE TRIGGER `devices_observation_revoked` AFTER UPDATE OF `revoked_at` ON `devices`
WHEN OLD.`revoked_at` IS NULL AND NEW.`revoked_at` IS NOT NULL
	AND NOT EXISTS (SELECT 1 FROM `device_pauses` p WHERE p.`device_id` = NEW.`id` AND p.`resumed_at` IS NULL)
BEGIN
	INSERT INTO `observation_steps` (`workspace_id`, `device_id`, `at`, `delta`)
		VALUES (NEW.`workspace_id`, NEW.`id`, NEW.`revoked_at`, -1);
END;
--> statement-breakpoint
-- The steps follow from enrolment, revocation and pauses as first written: they are never rewritten.
CREATE TRIGGER `devices_observation_written_once` BEFORE UPDATE OF `enrolled_at`, `revoked_at`, `workspace_id` ON `devices`
WHEN NEW.`enrolled_at` IS NOT OLD.`enrolled_at` OR NEW.`workspace_id` IS NOT OLD.`workspace_id`
	OR (OLD.`revoked_at` IS NOT NULL AND NEW.`revoked_at` IS NOT OLD.`revoked_at`)
BEGIN
	SELECT RAISE(ABORT, 'a device''s workspace, enrolment and revocation are written once (observed time depends on them)');
END;
--> statement-breakpoint
-- Pause: -1 (and +1 at its end for a pause recorded as over already).
CREATE TRIGGER `device_pauses_observation_paused` AFTER INSERT ON `device_pauses`
BEGIN
	INSERT INTO `observation_steps` (`workspace_id`, `device_id`, `at`, `delta`)
		VALUES (NEW.`workspace_id`, NEW.`device_id`, NEW.`paused_at`, -1);
	INSERT INTO `observation_steps` (`workspace_id`, `device_id`, `at`, `delta`)
		SELECT NEW.`workspace_id`, NEW.`device_id`, NEW.`resumed_at`, 1
		WHERE NEW.`resumed_at` IS NOT NULL;
END;
--> statement-breakpoint
-- Resume: +1.
CREATE TRIGGER `device_pauses_observation_resumed` AFTER UPDATE OF `resumed_at` ON `device_pauses`
WHEN OLD.`resumed_at` IS NULL AND NEW.`resumed_at` IS NOT NULL
BEGIN
	INSERT INTO `observation_steps` (`workspace_id`, `device_id`, `at`, `delta`)
		VALUES (NEW.`workspace_id`, NEW.`device_id`, NEW.`resumed_at`, 1);
END;
--> statement-breakpoint
CREATE TRIGGER `device_pauses_observation_written_once` BEFORE UPDATE OF `paused_at`, `resumed_at`, `device_id`, `workspace_id` ON `device_pauses`
WHEN NEW.`paused_at` IS NOT OLD.`paused_at` OR NEW.`device_id` IS NOT OLD.`device_id`
	OR NEW.`workspace_id` IS NOT OLD.`workspace_id`
	OR (OLD.`resumed_at` IS NOT NULL AND NEW.`resumed_at` IS NOT OLD.`resumed_at`)
BEGIN
	SELECT RAISE(ABORT, 'a pause''s device, start and end are written once (observed time depends on them)');
END;
