import { z } from 'zod';

const id = z.string().min(1).max(64);
const epochMs = z.number().int().min(0).max(8.64e15);

export const driverCheckSchema = z.strictObject({
  status: z.enum(['pass', 'warn', 'fail']),
  detail: z.string().max(500).optional(),
});

export const heartbeatSchema = z
  .strictObject({
    runId: id.meta({ description: 'Random id of this run of the agent; a new one after every start.' }),
    seq: z.number().int().min(0).meta({ description: 'Sequence number within the run, from 0.' }),
    monotonicMs: z
      .number()
      .int()
      .min(0)
      .meta({ description: "The agent's monotonic clock (ms since start)." }),
    bootId: id.meta({ description: "The phone's boot id; a new one after every reboot." }),
    deviceTime: epochMs.meta({
      description: "The phone's wall clock (ms since epoch); only used to measure skew.",
    }),
    appVersion: z.string().min(1).max(32),
    driver: z.strictObject({
      name: z.string().min(1).max(32),
      status: z.enum(['pass', 'warn', 'fail']).meta({ description: 'Worst of the checks.' }),
      checks: z.record(z.string().max(64), driverCheckSchema).optional(),
      capabilities: z
        .strictObject({
          sentReports: z.boolean(),
          deliveryReports: z.boolean(),
          simChoice: z.boolean(),
        })
        .optional()
        .meta({ description: 'What the SMS engine can report; without delivery reports `sent` is final.' }),
    }),
    battery: z
      .strictObject({
        percent: z.number().min(0).max(100),
        charging: z.boolean(),
        temperatureC: z.number().min(-40).max(100).optional(),
        health: z.string().max(32).optional(),
      })
      .optional(),
    network: z
      .strictObject({
        type: z.enum(['wifi', 'cellular', 'ethernet', 'none', 'unknown']),
        connected: z.boolean().optional(),
      })
      .optional(),
    sims: z
      .array(
        z.strictObject({
          slot: z.number().int().min(0).max(7),
          carrier: z.string().max(64).nullable().optional(),
          mccMnc: z
            .string()
            .regex(/^\d{5,6}$/)
            .nullable()
            .optional(),
          signalDbm: z.number().int().min(-150).max(-20).nullable().optional(),
          signalLevel: z.number().int().min(0).max(4).nullable().optional(),
        }),
      )
      .max(8)
      .default([]),
    queue: z.strictObject({
      depth: z.number().int().min(0),
      oldestPendingAgeS: z.number().int().min(0).nullable().optional(),
    }),
    counters: z
      .strictObject({
        sent: z.number().int().min(0),
        delivered: z.number().int().min(0),
        failed: z.number().int().min(0),
        received: z.number().int().min(0).optional(),
      })
      .meta({ description: 'Cumulative since the run started.' })
      .optional(),
    lastSendSuccessAt: epochMs.nullable().optional(),
    lastError: z
      .strictObject({
        code: z.string().max(64).optional(),
        message: z.string().max(500),
        at: epochMs.optional(),
      })
      .nullable()
      .optional(),
  })
  .meta({ id: 'Heartbeat' });

export type HeartbeatBody = z.infer<typeof heartbeatSchema>;

export const heartbeatAckSchema = z
  .object({
    serverTime: z.number().int().meta({ description: 'Server clock, ms since epoch.' }),
    heartbeatIntervalS: z.number().meta({ description: 'The interval the device should heartbeat at.' }),
    clockSkewMs: z.number().int().meta({ description: 'Device clock minus server clock.' }),
  })
  .meta({ id: 'HeartbeatAck' });
