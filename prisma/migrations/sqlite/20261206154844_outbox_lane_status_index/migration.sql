-- DropIndex
DROP INDEX "OutboxItem_laneKey_id_idx";

-- CreateIndex
CREATE INDEX "OutboxItem_laneKey_status_id_idx" ON "OutboxItem"("laneKey", "status", "id");
