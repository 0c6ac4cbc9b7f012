-- AlterTable
ALTER TABLE "FlowSession" ADD COLUMN     "timerAt" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "FlowSession_timerAt_idx" ON "FlowSession"("timerAt");

-- Timers move onto their session: an active session's pending flow.timer job for its current
-- seq becomes its timerAt, then every pending flow.timer job goes (the others were stale and
-- would only have run as no-ops).
UPDATE "FlowSession" s SET "timerAt" = j."runAt"
FROM (
    SELECT "payload"->>'sessionId' AS "sessionId", ("payload"->>'seq')::integer AS "seq", MIN("runAt") AS "runAt"
    FROM "Job" WHERE "kind" = 'flow.timer' AND "status" = 'pending'
    GROUP BY 1, 2
) j
WHERE s."status" = 'active' AND j."sessionId" = s."id" AND j."seq" = s."seq";
DELETE FROM "Job" WHERE "kind" = 'flow.timer' AND "status" = 'pending';
