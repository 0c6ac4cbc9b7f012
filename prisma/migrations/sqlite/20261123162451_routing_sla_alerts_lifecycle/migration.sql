-- AlterTable
ALTER TABLE "Team" ADD COLUMN "lastAssignedAgentId" TEXT;

-- CreateTable
CREATE TABLE "ConversationSla" (
    "conversationId" TEXT NOT NULL PRIMARY KEY,
    "teamId" TEXT,
    "priority" TEXT NOT NULL,
    "queuedAt" DATETIME NOT NULL,
    "firstResponseDueAt" DATETIME,
    "resolutionDueAt" DATETIME,
    "firstResponseAt" DATETIME,
    "resolvedAt" DATETIME,
    "firstResponseBreached" BOOLEAN NOT NULL DEFAULT false,
    "resolutionBreached" BOOLEAN NOT NULL DEFAULT false
);

-- CreateTable
CREATE TABLE "AlertFiring" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "ruleId" TEXT NOT NULL,
    "causeKey" TEXT NOT NULL,
    "at" DATETIME NOT NULL,
    "data" JSONB NOT NULL
);

-- CreateTable
CREATE TABLE "LifecycleChange" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "customerId" TEXT NOT NULL,
    "fromStage" TEXT NOT NULL,
    "toStage" TEXT NOT NULL,
    "reasons" JSONB NOT NULL,
    "at" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "ConversationSla_queuedAt_idx" ON "ConversationSla"("queuedAt");

-- CreateIndex
CREATE INDEX "AlertFiring_at_idx" ON "AlertFiring"("at");

-- CreateIndex
CREATE UNIQUE INDEX "AlertFiring_ruleId_causeKey_key" ON "AlertFiring"("ruleId", "causeKey");

-- CreateIndex
CREATE INDEX "LifecycleChange_customerId_at_idx" ON "LifecycleChange"("customerId", "at");
