-- AlterTable
ALTER TABLE "Team" ADD COLUMN     "lastAssignedAgentId" TEXT;

-- CreateTable
CREATE TABLE "ConversationSla" (
    "conversationId" TEXT NOT NULL,
    "teamId" TEXT,
    "priority" "Priority" NOT NULL,
    "queuedAt" TIMESTAMP(3) NOT NULL,
    "firstResponseDueAt" TIMESTAMP(3),
    "resolutionDueAt" TIMESTAMP(3),
    "firstResponseAt" TIMESTAMP(3),
    "resolvedAt" TIMESTAMP(3),
    "firstResponseBreached" BOOLEAN NOT NULL DEFAULT false,
    "resolutionBreached" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "ConversationSla_pkey" PRIMARY KEY ("conversationId")
);

-- CreateTable
CREATE TABLE "AlertFiring" (
    "id" TEXT NOT NULL,
    "ruleId" TEXT NOT NULL,
    "causeKey" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "data" JSONB NOT NULL,

    CONSTRAINT "AlertFiring_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LifecycleChange" (
    "id" TEXT NOT NULL,
    "customerId" TEXT NOT NULL,
    "fromStage" "LifecycleStage" NOT NULL,
    "toStage" "LifecycleStage" NOT NULL,
    "reasons" JSONB NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "LifecycleChange_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ConversationSla_queuedAt_idx" ON "ConversationSla"("queuedAt");

-- CreateIndex
CREATE INDEX "AlertFiring_at_idx" ON "AlertFiring"("at");

-- CreateIndex
CREATE UNIQUE INDEX "AlertFiring_ruleId_causeKey_key" ON "AlertFiring"("ruleId", "causeKey");

-- CreateIndex
CREATE INDEX "LifecycleChange_customerId_at_idx" ON "LifecycleChange"("customerId", "at");
