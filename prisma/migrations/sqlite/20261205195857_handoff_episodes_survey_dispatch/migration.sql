-- AlterTable
ALTER TABLE "SurveyResponse" ADD COLUMN "episodeId" TEXT;

-- CreateTable
CREATE TABLE "SurveyDispatch" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "customerId" TEXT NOT NULL,
    "conversationId" TEXT NOT NULL,
    "flowId" TEXT NOT NULL,
    "ticketId" TEXT,
    "episodeId" TEXT,
    "status" TEXT NOT NULL,
    "reason" TEXT,
    "createdAt" DATETIME NOT NULL,
    "updatedAt" DATETIME NOT NULL
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_ConversationSla" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "conversationId" TEXT NOT NULL,
    "teamId" TEXT,
    "agentId" TEXT,
    "priority" TEXT NOT NULL,
    "queuedAt" DATETIME NOT NULL,
    "firstResponseDueAt" DATETIME,
    "resolutionDueAt" DATETIME,
    "firstResponseAt" DATETIME,
    "resolvedAt" DATETIME,
    "endedAt" DATETIME,
    "endReason" TEXT,
    "firstResponseBreached" BOOLEAN NOT NULL DEFAULT false,
    "resolutionBreached" BOOLEAN NOT NULL DEFAULT false
);
-- Data carried over: the one row a conversation had becomes its (last) episode, id = the conversation's id.
INSERT INTO "new_ConversationSla" ("id", "conversationId", "agentId", "firstResponseAt", "firstResponseBreached", "firstResponseDueAt", "priority", "queuedAt", "resolutionBreached", "resolutionDueAt", "resolvedAt", "teamId", "endedAt", "endReason")
SELECT s."conversationId", s."conversationId", (SELECT c."assigneeId" FROM "Conversation" c WHERE c."id" = s."conversationId"), s."firstResponseAt", s."firstResponseBreached", s."firstResponseDueAt", s."priority", s."queuedAt", s."resolutionBreached", s."resolutionDueAt", s."resolvedAt", s."teamId", s."resolvedAt", CASE WHEN s."resolvedAt" IS NULL THEN NULL ELSE 'resolved' END
FROM "ConversationSla" s;
DROP TABLE "ConversationSla";
ALTER TABLE "new_ConversationSla" RENAME TO "ConversationSla";
CREATE INDEX "ConversationSla_conversationId_queuedAt_idx" ON "ConversationSla"("conversationId", "queuedAt");
CREATE INDEX "ConversationSla_queuedAt_idx" ON "ConversationSla"("queuedAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "SurveyDispatch_customerId_status_updatedAt_idx" ON "SurveyDispatch"("customerId", "status", "updatedAt");

-- CreateIndex
CREATE INDEX "SurveyDispatch_conversationId_status_idx" ON "SurveyDispatch"("conversationId", "status");
