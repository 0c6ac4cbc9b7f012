-- CreateTable
CREATE TABLE "FlowFileLastGood" (
    "file" TEXT NOT NULL PRIMARY KEY,
    "flowId" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "updatedAt" DATETIME NOT NULL
);
