-- CreateTable
CREATE TABLE "FlowVersion" (
    "flowId" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "file" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("flowId", "version")
);

-- CreateTable
CREATE TABLE "FlowStepEvent" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "sessionId" TEXT NOT NULL,
    "flowId" TEXT NOT NULL,
    "flowVersion" TEXT NOT NULL,
    "stepId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "at" DATETIME NOT NULL
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_FlowSession" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "conversationId" TEXT NOT NULL,
    "customerId" TEXT NOT NULL,
    "flowId" TEXT NOT NULL,
    "flowVersion" TEXT NOT NULL,
    "stepId" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'active',
    "variables" JSONB NOT NULL,
    "retries" INTEGER NOT NULL DEFAULT 0,
    "waiting" TEXT,
    "seq" INTEGER NOT NULL DEFAULT 0,
    "reminded" BOOLEAN NOT NULL DEFAULT false,
    "startedBy" TEXT NOT NULL DEFAULT 'trigger',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "completedAt" DATETIME,
    CONSTRAINT "FlowSession_conversationId_fkey" FOREIGN KEY ("conversationId") REFERENCES "Conversation" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "FlowSession_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_FlowSession" ("conversationId", "createdAt", "customerId", "flowId", "flowVersion", "id", "status", "stepId", "updatedAt", "variables") SELECT "conversationId", "createdAt", "customerId", "flowId", "flowVersion", "id", "status", "stepId", "updatedAt", "variables" FROM "FlowSession";
DROP TABLE "FlowSession";
ALTER TABLE "new_FlowSession" RENAME TO "FlowSession";
CREATE INDEX "FlowSession_conversationId_status_idx" ON "FlowSession"("conversationId", "status");
CREATE INDEX "FlowSession_flowId_status_idx" ON "FlowSession"("flowId", "status");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "FlowStepEvent_flowId_stepId_kind_idx" ON "FlowStepEvent"("flowId", "stepId", "kind");
