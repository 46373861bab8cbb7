import type { Logger } from '@rxq/core';

/** A logger that keeps every record, for tests that read what a source logged. */
export function recordingLogger(): Logger & { records: { level: string; fields: unknown; message: string }[] } {
  const records: { level: string; fields: unknown; message: string }[] = [];
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, message: string): void =>
      void records.push({ level, fields, message });
  return { records, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
