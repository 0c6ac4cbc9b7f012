-- CreateTable
CREATE TABLE "ConversationSnooze" (
    "conversationId" TEXT NOT NULL,
    "until" TIMESTAMP(3) NOT NULL,
    "by" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ConversationSnooze_pkey" PRIMARY KEY ("conversationId")
);

-- CreateTable
CREATE TABLE "CannedResponse" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CannedResponse_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SlackThread" (
    "id" TEXT NOT NULL,
    "conversationId" TEXT NOT NULL,
    "channelId" TEXT NOT NULL,
    "threadTs" TEXT NOT NULL,
    "handoff" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SlackThread_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SlackPost" (
    "id" TEXT NOT NULL,
    "conversationId" TEXT NOT NULL,
    "messageId" TEXT,
    "channelId" TEXT NOT NULL,
    "ts" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "sourceKey" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SlackPost_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "CannedResponse_name_key" ON "CannedResponse"("name");

-- CreateIndex
CREATE INDEX "SlackThread_conversationId_idx" ON "SlackThread"("conversationId");

-- CreateIndex
CREATE UNIQUE INDEX "SlackThread_channelId_threadTs_key" ON "SlackThread"("channelId", "threadTs");

-- CreateIndex
CREATE UNIQUE INDEX "SlackPost_messageId_key" ON "SlackPost"("messageId");

-- CreateIndex
CREATE UNIQUE INDEX "SlackPost_sourceKey_key" ON "SlackPost"("sourceKey");

-- CreateIndex
CREATE INDEX "SlackPost_channelId_ts_idx" ON "SlackPost"("channelId", "ts");

-- CreateIndex
CREATE INDEX "SlackPost_conversationId_idx" ON "SlackPost"("conversationId");
