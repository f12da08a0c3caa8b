/**
 * The ACL rules of soakwatch's Redis user (append to `ACL SETUSER soakwatch on >password`).
 * Sampling: INFO, CLIENT SETNAME (its connections are named), CLIENT LIST (who is still connected;
 * refused → "no data", the sample still succeeds), SELECT, and the cluster topology commands.
 * Replication phase: the heartbeat (SET on soakwatch's own keys, GET), the spot-check and the
 * per-prefix counter (RANDOMKEY, SCAN, DBSIZE, the digest script and the reads it makes). Reads on
 * every key, writes only on `__soakwatch:*`, no channels.
 */
export const SOAKWATCH_ACL_RULES =
  'resetchannels -@all +info +client|setname +client|list +select +cluster|shards +cluster|nodes +cluster|slots ' +
  '+readonly +dbsize +randomkey +scan +get +set +type +pttl +evalsha +eval +time +strlen +getrange +hget +hgetall ' +
  '+hlen +hrandfield +hscan +scard +sismember +smembers +srandmember +zcard +zrange +llen +lrange +xlen +xrange ' +
  '+xrevrange %R~* %RW~__soakwatch:*';
