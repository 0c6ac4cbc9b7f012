-- CreateTable
CREATE TABLE "BotkitState" (
    "key" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "BotkitState_pkey" PRIMARY KEY ("key")
);
