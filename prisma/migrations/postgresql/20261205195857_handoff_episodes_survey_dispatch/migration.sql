-- CreateEnum
CREATE TYPE "SurveyDispatchStatus" AS ENUM ('queued', 'started', 'skipped');

-- CreateEnum
CREATE TYPE "EpisodeEnd" AS ENUM ('resolved', 'handed_back', 'handed_off');

-- AlterTable
ALTER TABLE "SurveyResponse" ADD COLUMN     "episodeId" TEXT;

-- AlterTable (data carried over: the one row a conversation had becomes its last episode, id = the conversation's id)
ALTER TABLE "ConversationSla" DROP CONSTRAINT "ConversationSla_pkey",
ADD COLUMN     "agentId" TEXT,
ADD COLUMN     "endReason" "EpisodeEnd",
ADD COLUMN     "endedAt" TIMESTAMP(3),
ADD COLUMN     "id" TEXT;
UPDATE "ConversationSla" s SET "id" = s."conversationId", "endedAt" = s."resolvedAt",
  "endReason" = CASE WHEN s."resolvedAt" IS NULL THEN NULL ELSE 'resolved'::"EpisodeEnd" END,
  "agentId" = (SELECT c."assigneeId" FROM "Conversation" c WHERE c."id" = s."conversationId");
ALTER TABLE "ConversationSla" ALTER COLUMN "id" SET NOT NULL,
ADD CONSTRAINT "ConversationSla_pkey" PRIMARY KEY ("id");

-- CreateTable
CREATE TABLE "SurveyDispatch" (
    "id" TEXT NOT NULL,
    "customerId" TEXT NOT NULL,
    "conversationId" TEXT NOT NULL,
    "flowId" TEXT NOT NULL,
    "ticketId" TEXT,
    "episodeId" TEXT,
    "status" "SurveyDispatchStatus" NOT NULL,
    "reason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "SurveyDispatch_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "SurveyDispatch_customerId_status_updatedAt_idx" ON "SurveyDispatch"("customerId", "status", "updatedAt");

-- CreateIndex
CREATE INDEX "SurveyDispatch_conversationId_status_idx" ON "SurveyDispatch"("conversationId", "status");

-- CreateIndex
CREATE INDEX "ConversationSla_conversationId_queuedAt_idx" ON "ConversationSla"("conversationId", "queuedAt");
