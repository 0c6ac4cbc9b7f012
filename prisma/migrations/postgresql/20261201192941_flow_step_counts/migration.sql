-- CreateTable
CREATE TABLE "FlowStepCount" (
    "flowId" TEXT NOT NULL,
    "hour" TIMESTAMP(3) NOT NULL,
    "flowVersion" TEXT NOT NULL,
    "stepId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "count" INTEGER NOT NULL,

    CONSTRAINT "FlowStepCount_pkey" PRIMARY KEY ("flowId","hour","flowVersion","stepId","kind")
);

-- Step events become hourly counts (UTC), so flow stats keep their history.
INSERT INTO "FlowStepCount" ("flowId", "hour", "flowVersion", "stepId", "kind", "count")
SELECT "flowId", date_trunc('hour', "at"), "flowVersion", "stepId", "kind", COUNT(*)
FROM "FlowStepEvent"
GROUP BY "flowId", date_trunc('hour', "at"), "flowVersion", "stepId", "kind";

-- DropTable
DROP TABLE "FlowStepEvent";
