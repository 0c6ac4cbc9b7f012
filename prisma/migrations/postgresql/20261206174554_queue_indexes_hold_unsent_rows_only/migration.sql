-- DropIndex
DROP INDEX "InboxEvent_status_laneKey_idx";

-- DropIndex
DROP INDEX "OutboxItem_status_channel_id_idx";

-- DropIndex
DROP INDEX "OutboxItem_laneKey_status_id_idx";

-- CreateIndex
CREATE INDEX "InboxEvent_laneKey_id_idx" ON "InboxEvent"("laneKey", "id") WHERE (status = 'pending');

-- CreateIndex
CREATE INDEX "OutboxItem_channel_status_id_idx" ON "OutboxItem"("channel", "status", "id") WHERE (status = 'pending' OR status = 'sending');

-- CreateIndex
CREATE INDEX "OutboxItem_laneKey_id_idx" ON "OutboxItem"("laneKey", "id") WHERE (status = 'pending' OR status = 'sending');
