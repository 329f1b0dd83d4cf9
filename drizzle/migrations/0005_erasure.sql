CREATE TABLE "customer_erasures" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" uuid NOT NULL,
	"merged_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"reason" text NOT NULL,
	"erased_at" timestamp with time zone DEFAULT now() NOT NULL,
	"counts" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"pending_cancels" text[] DEFAULT '{}'::text[] NOT NULL
);
--> statement-breakpoint
CREATE TABLE "erased_identities" (
	"hash" text PRIMARY KEY NOT NULL,
	"erasure_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "erased_identities" ADD CONSTRAINT "erased_identities_erasure_id_customer_erasures_id_fk" FOREIGN KEY ("erasure_id") REFERENCES "public"."customer_erasures"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "customer_erasures_customer_key" ON "customer_erasures" USING btree ("customer_id");--> statement-breakpoint
CREATE INDEX "customer_erasures_merged_ids_idx" ON "customer_erasures" USING gin ("merged_ids");