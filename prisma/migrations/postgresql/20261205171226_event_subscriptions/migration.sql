-- CreateTable
CREATE TABLE "EventSubscription" (
    "kind" TEXT NOT NULL,
    "eventType" TEXT NOT NULL,
    "seenAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "EventSubscription_pkey" PRIMARY KEY ("kind")
);

-- CreateIndex
CREATE INDEX "EventSubscription_eventType_idx" ON "EventSubscription"("eventType");
