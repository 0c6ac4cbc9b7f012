-- CreateTable
CREATE TABLE "EventSubscription" (
    "kind" TEXT NOT NULL PRIMARY KEY,
    "eventType" TEXT NOT NULL,
    "seenAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "EventSubscription_eventType_idx" ON "EventSubscription"("eventType");
