CREATE TABLE "category_associations" (
	"from_category" text NOT NULL,
	"to_category" text NOT NULL,
	"count" integer NOT NULL,
	"support" double precision NOT NULL,
	"confidence" double precision NOT NULL,
	"lift" double precision NOT NULL,
	"baskets" integer NOT NULL,
	"computed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "category_associations_pkey" PRIMARY KEY("from_category","to_category")
);
--> statement-breakpoint
ALTER TABLE "aipl_history" ADD COLUMN "seq" bigint NOT NULL GENERATED ALWAYS AS IDENTITY (sequence name "aipl_history_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1);--> statement-breakpoint
ALTER TABLE "segment_members" ADD COLUMN "entries_checked_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "category_associations_lift_idx" ON "category_associations" USING btree ("from_category","lift");--> statement-breakpoint
CREATE INDEX "events_telemetry_serial_idx" ON "events" USING btree (("properties" ->> 'serial')) WHERE "events"."name" = 'Telemetry Reported';--> statement-breakpoint
CREATE INDEX "segment_members_entries_pending_idx" ON "segment_members" USING btree ("segment_id","customer_id") WHERE "segment_members"."entries_checked_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "telemetry_readings_event_key" ON "telemetry_readings" USING btree ("event_id");