-- Expression indexes Prisma's schema cannot declare (listed in test/db.drift.test.ts):
-- the address attributes a flow collects, looked up on every new customer's first message to
-- propose merges (src/crm/suggestions.ts liveCustomersHolding). Only live records are matched.
CREATE INDEX "Customer_attributes_email_idx" ON "Customer"(json_extract("attributes", '$.email')) WHERE "mergedIntoId" IS NULL;
CREATE INDEX "Customer_attributes_phone_idx" ON "Customer"(json_extract("attributes", '$.phone')) WHERE "mergedIntoId" IS NULL;
CREATE INDEX "Customer_attributes_mobile_idx" ON "Customer"(json_extract("attributes", '$.mobile')) WHERE "mergedIntoId" IS NULL;
