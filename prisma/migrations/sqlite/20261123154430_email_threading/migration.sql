-- AlterTable
ALTER TABLE "Conversation" ADD COLUMN "ref" TEXT;
ALTER TABLE "Conversation" ADD COLUMN "subjectKey" TEXT;

-- CreateTable
CREATE TABLE "ChannelState" (
    "channel" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "value" JSONB NOT NULL,
    "updatedAt" DATETIME NOT NULL,

    PRIMARY KEY ("channel", "key")
);

-- CreateIndex
CREATE UNIQUE INDEX "Conversation_ref_key" ON "Conversation"("ref");

-- CreateIndex
CREATE INDEX "Conversation_identityId_subjectKey_idx" ON "Conversation"("identityId", "subjectKey");
