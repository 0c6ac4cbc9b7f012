-- CreateIndex
CREATE INDEX "OutboxItem_status_channel_id_idx" ON "OutboxItem"("status", "channel", "id");
