-- AlterTable
ALTER TABLE "Customer" ADD COLUMN     "keyReason" TEXT,
ADD COLUMN     "keySource" TEXT;

-- AlterTable
ALTER TABLE "Conversation" ADD COLUMN     "tags" JSONB;

-- CreateTable
CREATE TABLE "CustomerMerge" (
    "id" TEXT NOT NULL,
    "keptId" TEXT NOT NULL,
    "absorbedId" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "moved" JSONB NOT NULL,
    "conflicts" JSONB NOT NULL,
    "before" JSONB NOT NULL,
    "undoneAt" TIMESTAMP(3),
    "undoneBy" TEXT,

    CONSTRAINT "CustomerMerge_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MergeSuggestion" (
    "id" TEXT NOT NULL,
    "customerId" TEXT NOT NULL,
    "otherId" TEXT NOT NULL,
    "matchedBy" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decidedAt" TIMESTAMP(3),
    "decidedBy" TEXT,
    "mergeId" TEXT,

    CONSTRAINT "MergeSuggestion_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "CustomerMerge_keptId_at_idx" ON "CustomerMerge"("keptId", "at");

-- CreateIndex
CREATE INDEX "CustomerMerge_absorbedId_idx" ON "CustomerMerge"("absorbedId");

-- CreateIndex
CREATE INDEX "MergeSuggestion_status_createdAt_idx" ON "MergeSuggestion"("status", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "MergeSuggestion_customerId_otherId_key" ON "MergeSuggestion"("customerId", "otherId");
