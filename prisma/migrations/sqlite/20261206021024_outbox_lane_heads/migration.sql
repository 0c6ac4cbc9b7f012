-- CreateIndex
CREATE INDEX "OutboxItem_laneKey_id_idx" ON "OutboxItem"("laneKey", "id");
