-- Indexes Prisma's schema cannot declare (listed in test/db.drift.test.ts).
--
-- Expression indexes:
-- the address attributes a flow collects, looked up on every new customer's first message to
-- propose merges (src/crm/suggestions.ts liveCustomersHolding). Only live records are matched.
CREATE INDEX "Customer_attributes_email_idx" ON "Customer"(("attributes" ->> 'email')) WHERE "mergedIntoId" IS NULL;
CREATE INDEX "Customer_attributes_phone_idx" ON "Customer"(("attributes" ->> 'phone')) WHERE "mergedIntoId" IS NULL;
CREATE INDEX "Customer_attributes_mobile_idx" ON "Customer"(("attributes" ->> 'mobile')) WHERE "mergedIntoId" IS NULL;

-- The mergedIntoId index holds tombstones only. Every live record has NULL there, and SQLite,
-- which has no statistics, took the full index as selective for "mergedIntoId" IS NULL: the
-- lifecycle and inactivity sweeps' pages of live customers read and sorted the whole table
-- (15 ms a page at 100,000 customers, 200 pages an hour). A tombstone lookup ("mergedIntoId" =
-- ?) still uses it.
DROP INDEX "Customer_mergedIntoId_idx";
CREATE INDEX "Customer_mergedIntoId_idx" ON "Customer"("mergedIntoId") WHERE "mergedIntoId" IS NOT NULL;
