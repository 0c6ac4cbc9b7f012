-- AlterTable
ALTER TABLE "FlowSession" ADD COLUMN "timerAt" DATETIME;

-- CreateIndex
CREATE INDEX "FlowSession_timerAt_idx" ON "FlowSession"("timerAt");

-- Timers move onto their session: an active session's pending flow.timer job for its current
-- seq becomes its timerAt, then every pending flow.timer job goes (the others were stale and
-- would only have run as no-ops).
UPDATE "FlowSession" SET "timerAt" = (
    SELECT MIN(j."runAt") FROM "Job" j
    WHERE j."kind" = 'flow.timer' AND j."status" = 'pending'
      AND json_extract(j."payload", '$.sessionId') = "FlowSession"."id"
      AND json_extract(j."payload", '$.seq') = "FlowSession"."seq"
) WHERE "status" = 'active';
DELETE FROM "Job" WHERE "kind" = 'flow.timer' AND "status" = 'pending';
