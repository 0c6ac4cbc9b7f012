-- CreateTable
CREATE TABLE "StudioUser" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "email" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "passwordHash" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "disabledAt" DATETIME
);

-- CreateTable
CREATE TABLE "StudioSession" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "tokenHash" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "csrfToken" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" DATETIME NOT NULL,
    CONSTRAINT "StudioSession_userId_fkey" FOREIGN KEY ("userId") REFERENCES "StudioUser" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "FlowRevision" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "flowId" TEXT NOT NULL,
    "number" INTEGER NOT NULL,
    "yaml" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'draft',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "createdBy" TEXT,
    "note" TEXT
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
