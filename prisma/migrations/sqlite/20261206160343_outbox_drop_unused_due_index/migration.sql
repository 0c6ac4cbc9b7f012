-- DropIndex
DROP INDEX "OutboxItem_status_nextAttemptAt_idx";
