-- CreateTable
CREATE TABLE "FlowStepCount" (
    "flowId" TEXT NOT NULL,
    "hour" DATETIME NOT NULL,
    "flowVersion" TEXT NOT NULL,
    "stepId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "count" INTEGER NOT NULL,

    PRIMARY KEY ("flowId", "hour", "flowVersion", "stepId", "kind")
);

-- Step events become hourly counts (UTC, in the text form Prisma stores dates in on SQLite),
-- so flow stats keep their history.
INSERT INTO "FlowStepCount" ("flowId", "hour", "flowVersion", "stepId", "kind", "count")
SELECT "flowId", strftime('%Y-%m-%dT%H:00:00.000+00:00', "at"), "flowVersion", "stepId", "kind", COUNT(*)
FROM "FlowStepEvent"
GROUP BY "flowId", strftime('%Y-%m-%dT%H:00:00.000+00:00', "at"), "flowVersion", "stepId", "kind";

-- DropTable
PRAGMA foreign_keys=off;
DROP TABLE "FlowStepEvent";
PRAGMA foreign_keys=on;
