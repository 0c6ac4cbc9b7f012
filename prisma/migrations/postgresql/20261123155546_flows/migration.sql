-- AlterTable
ALTER TABLE "FlowSession" ADD COLUMN     "completedAt" TIMESTAMP(3),
ADD COLUMN     "reminded" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "retries" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "seq" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "startedBy" TEXT NOT NULL DEFAULT 'trigger',
ADD COLUMN     "waiting" TEXT;

-- CreateTable
CREATE TABLE "FlowVersion" (
    "flowId" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "file" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "FlowVersion_pkey" PRIMARY KEY ("flowId","version")
);

-- CreateTable
CREATE TABLE "FlowStepEvent" (
    "id" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "flowId" TEXT NOT NULL,
    "flowVersion" TEXT NOT NULL,
    "stepId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "FlowStepEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "FlowStepEvent_flowId_stepId_kind_idx" ON "FlowStepEvent"("flowId", "stepId", "kind");

-- CreateIndex
CREATE INDEX "FlowSession_flowId_status_idx" ON "FlowSession"("flowId", "status");
