/**
 * The id the agent hands a message to the SMS engine under: one per lease attempt, `<messageId>-<attempt>`.
 *
 * Engines keep the ids they were given and refuse one they already hold (SMSGate answers 409; that is
 * their duplicate guard). When the server leases a message to the same phone again for a new attempt,
 * after an attempt the engine failed before transmission, the message's own id would be refused and the
 * retry never sent. A new id per attempt lets the retry through, while within one attempt the id stays
 * the same: a repeated hand-over is still refused and `lookup` after a crash asks about exactly the
 * hand-over that may have happened. Engine events carry the id back, naming message and attempt.
 *
 * Server message ids never contain `-`, so the suffix is unambiguous (the last `-<digits>` is the attempt).
 */

export function engineIdOf(messageId: string, attempt: number): string {
  return `${messageId}-${attempt}`;
}

/**
 * The message and attempt an engine id names. An id without an attempt suffix (handed over by an agent
 * before per-attempt ids) names the message alone: `attempt` is null.
 */
export function parseEngineId(engineId: string): { messageId: string; attempt: number | null } {
  const m = /^(.+)-(\d{1,9})$/.exec(engineId);
  return m ? { messageId: m[1]!, attempt: Number(m[2]) } : { messageId: engineId, attempt: null };
}
