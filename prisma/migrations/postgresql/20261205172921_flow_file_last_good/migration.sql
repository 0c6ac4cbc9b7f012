-- CreateTable
CREATE TABLE "FlowFileLastGood" (
    "file" TEXT NOT NULL,
    "flowId" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "FlowFileLastGood_pkey" PRIMARY KEY ("file")
);
