// One free-port helper for every harness: the same in-process bookkeeping as the local topologies,
// so a test never hands out a port that a topology of the same process just reserved.
export { freePort } from '../../tools/local/ports.js';
