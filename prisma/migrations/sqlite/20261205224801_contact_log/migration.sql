-- CreateTable
CREATE TABLE "ContactLog" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "customerId" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "campaignId" TEXT,
    "messageId" TEXT,
    "at" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "ContactLog_customerId_at_idx" ON "ContactLog"("customerId", "at");

-- CreateIndex
CREATE INDEX "ContactLog_campaignId_idx" ON "ContactLog"("campaignId");

-- Survey skips counted by the contact policy's reason (src/contact/policy.ts SkipReason).
UPDATE "SurveyDispatch" SET "reason" = 'frequency_cap' WHERE "reason" = 'contact_cap';
