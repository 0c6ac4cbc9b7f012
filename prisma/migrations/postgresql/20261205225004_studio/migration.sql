-- CreateEnum
CREATE TYPE "StudioRole" AS ENUM ('admin', 'manager', 'marketer', 'agent');

-- CreateEnum
CREATE TYPE "FlowRevisionStatus" AS ENUM ('draft', 'live', 'archived');

-- CreateTable
CREATE TABLE "StudioUser" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "role" "StudioRole" NOT NULL,
    "passwordHash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "disabledAt" TIMESTAMP(3),

    CONSTRAINT "StudioUser_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StudioSession" (
    "id" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "csrfToken" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "StudioSession_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "FlowRevision" (
    "id" TEXT NOT NULL,
    "flowId" TEXT NOT NULL,
    "number" INTEGER NOT NULL,
    "yaml" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "status" "FlowRevisionStatus" NOT NULL DEFAULT 'draft',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "createdBy" TEXT,
    "note" TEXT,

    CONSTRAINT "FlowRevision_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "StudioUser_email_key" ON "StudioUser"("email");

-- CreateIndex
CREATE UNIQUE INDEX "StudioSession_tokenHash_key" ON "StudioSession"("tokenHash");

-- CreateIndex
CREATE INDEX "StudioSession_userId_idx" ON "StudioSession"("userId");

-- CreateIndex
CREATE INDEX "StudioSession_expiresAt_idx" ON "StudioSession"("expiresAt");

-- CreateIndex
CREATE INDEX "FlowRevision_flowId_status_idx" ON "FlowRevision"("flowId", "status");

-- CreateIndex
CREATE UNIQUE INDEX "FlowRevision_flowId_number_key" ON "FlowRevision"("flowId", "number");

-- AddForeignKey
ALTER TABLE "StudioSession" ADD CONSTRAINT "StudioSession_userId_fkey" FOREIGN KEY ("userId") REFERENCES "StudioUser"("id") ON DELETE CASCADE ON UPDATE CASCADE;
