// cluster-key-slot (an ioredis dependency) ships no types: the CRC16 slot of a key, 0..16383.
declare module 'cluster-key-slot' {
  function calculateSlot(key: string | Buffer): number;
  export default calculateSlot;
}
