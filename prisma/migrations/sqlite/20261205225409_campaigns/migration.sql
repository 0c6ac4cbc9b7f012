-- CreateIndex
CREATE INDEX "CampaignRecipient_channel_queuedAt_idx" ON "CampaignRecipient"("channel", "queuedAt");
