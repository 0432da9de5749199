/**
 * What machine a result was measured on, for results pages and result records.
 */
import os from 'node:os';

/** Machine description. */
export interface MachineInfo {
  /** OS type, release and architecture, e.g. `'Linux 6.1.0 (x64)'`. */
  os: string;
  /** CPU model string of the first core (`'unknown'` if the OS does not say). */
  cpu: string;
  /** Logical cores available to this process (`os.availableParallelism()`). */
  cores: number;
  /** Total memory in GiB, one decimal. */
  memoryGiB: number;
  /** Node.js version, e.g. `'v20.19.0'`. */
  node: string;
}

/** Describes this machine (OS, CPU model, cores, memory, Node version). */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length;
  return {
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    cpu: cpus[0]?.model?.trim() || 'unknown',
    cores,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
  };
}

/** One line, e.g. `"Linux 6.1.0 (x64), Intel Xeon …, 2 cores, 23.5 GiB, Node v20.19.0"`. */
export function formatMachineInfo(m: MachineInfo): string {
  return `${m.os}, ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}`;
}
