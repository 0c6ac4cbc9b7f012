-- DropIndex
DROP INDEX "OutboxItem_channel_status_id_idx";

-- CreateIndex
CREATE INDEX "OutboxItem_channel_id_pending_idx" ON "OutboxItem"("channel", "id") WHERE (status = 'pending');

-- CreateIndex
CREATE INDEX "OutboxItem_channel_id_sending_idx" ON "OutboxItem"("channel", "id") WHERE (status = 'sending');
