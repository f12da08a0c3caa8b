// Fleet sizing for serverless.yml (issue 11, docs/scaling.md): the per-tenant tick function's reserved
// concurrency from the tenant count. Serverless resolves `${file(./scripts/fleetSizing.cjs):…}` through
// this function; its params are `tenantCount` and `tickSecondsP99` (a tenant tick's p99, measured).
//
// A round hands every tenant to an invocation at once; each lasts about one tick, so the round needs
// tenantCount × tickSeconds / roundSeconds containers on average, doubled for the burst at the start of a
// round (all tenants are dispatched in its first second), at least 2. Capped by `maxConcurrency` (the
// share of the account's concurrency soakwatch may take: 1,000 by default in a region, shared).
module.exports = async ({ resolveVariable }) => {
  const num = async (name, fallback) => {
    const value = Number(await resolveVariable(`param:${name}, '${fallback}'`));
    if (!Number.isFinite(value) || value <= 0) throw new Error(`param ${name}: must be a positive number`);
    return value;
  };
  const tenants = await num('tenantCount', 20);
  const tickSeconds = await num('tickSecondsP99', 2);
  const roundSeconds = await num('roundSeconds', 60);
  const cap = await num('maxConcurrency', 200);
  const needed = Math.ceil(((tenants * tickSeconds) / roundSeconds) * 2);
  return { tickTenantConcurrency: Math.min(cap, Math.max(2, needed)) };
};
