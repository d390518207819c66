-- Argo CD health of ArchiveCluster and CrawlRegion, read from the kstatus conditions the
-- archivestream operator writes (Ready, Reconciling, Stalled, each with observedGeneration).
-- Install as resource.customizations.health.archivestream.io_ArchiveCluster and
-- resource.customizations.health.archivestream.io_CrawlRegion in argocd-cm.
local hs = {}

if obj.metadata ~= nil and obj.metadata.annotations ~= nil
    and obj.metadata.annotations["archivestream.io/paused"] == "true" then
  hs.status = "Suspended"
  hs.message = "Reconciling is paused by the annotation archivestream.io/paused"
  return hs
end

if obj.status == nil or obj.status.conditions == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to report status"
  return hs
end

local generation = obj.metadata.generation
if generation ~= nil and (obj.status.observedGeneration == nil
    or obj.status.observedGeneration < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. generation
  return hs
end

local ready, reconciling, stalled
for _, condition in ipairs(obj.status.conditions) do
  if condition.type == "Ready" then
    ready = condition
  elseif condition.type == "Reconciling" then
    reconciling = condition
  elseif condition.type == "Stalled" then
    stalled = condition
  end
end

local function describe(condition)
  local text = condition.reason or ""
  if condition.message ~= nil and condition.message ~= "" then
    text = text .. ": " .. condition.message
  end
  return text
end

if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(stalled)
elseif ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(ready)
elseif reconciling ~= nil and reconciling.status == "True" then
  hs.status = "Progressing"
  hs.message = describe(reconciling)
elseif ready ~= nil then
  hs.status = "Degraded"
  hs.message = describe(ready)
else
  hs.status = "Progressing"
  hs.message = "Waiting for the Ready condition"
end
return hs
