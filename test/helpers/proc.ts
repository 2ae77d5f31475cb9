import { readFileSync } from 'node:fs';

/**
 * The fields of a Linux /proc/…/stat file from field 3 (state) on: the command name in
 * field 2 may contain spaces and parentheses, so split after its last ')'. Index 0 here is
 * stat(5)'s field 3; utime is index 11, stime 12, nice 16.
 */
export function procStatFields(path: string): string[] {
  const stat = readFileSync(path, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}
