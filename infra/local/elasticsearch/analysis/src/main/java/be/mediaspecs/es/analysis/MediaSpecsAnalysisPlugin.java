package be.mediaspecs.es.analysis;

import static org.elasticsearch.plugins.AnalysisPlugin.requiresAnalysisSettings;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.function.Supplier;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.core.KeywordTokenizer;
import org.apache.lucene.analysis.de.GermanAnalyzer;
import org.apache.lucene.analysis.de.GermanNormalizationFilter;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.en.PorterStemFilter;
import org.apache.lucene.analysis.fr.FrenchAnalyzer;
import org.apache.lucene.analysis.miscellaneous.ASCIIFoldingFilter;
import org.apache.lucene.analysis.ngram.EdgeNGramTokenFilter;
import org.apache.lucene.analysis.ngram.EdgeNGramTokenizer;
import org.apache.lucene.analysis.ngram.NGramTokenizer;
import org.apache.lucene.analysis.nl.DutchAnalyzer;
import org.apache.lucene.analysis.util.ElisionFilter;
import org.elasticsearch.index.analysis.Analysis;
import org.elasticsearch.index.analysis.AnalyzerProvider;
import org.elasticsearch.index.analysis.PreBuiltAnalyzerProviderFactory;
import org.elasticsearch.index.analysis.PreConfiguredTokenFilter;
import org.elasticsearch.index.analysis.PreConfiguredTokenizer;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.index.analysis.TokenizerFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.indices.analysis.PreBuiltCacheFactory.CachingStrategy;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;

/**
 * Gives a minimal Elasticsearch (no analysis-common module) the analysis component names that
 * production Elasticsearch has natively, so one index template works in both places.
 *
 * <p>Only names the minimal server lacks are registered: the server itself already registers the
 * token filters {@code stop}, {@code shingle}, {@code hunspell}, {@code lowercase}, the tokenizer
 * {@code standard} and the analyzers {@code standard}, {@code simple}, {@code stop},
 * {@code whitespace}, {@code keyword}; registering any of those again stops the node at start-up.
 * Every factory here only parses its settings and wraps the Lucene class that analysis-common uses
 * for the same name.
 */
public final class MediaSpecsAnalysisPlugin extends Plugin implements AnalysisPlugin {

    @Override
    public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
        Map<String, AnalysisProvider<TokenFilterFactory>> filters = new TreeMap<>();
        filters.put("asciifolding", (indexSettings, env, name, settings) -> new AsciiFoldingFilterFactory(name, settings));
        filters.put("edge_ngram", (indexSettings, env, name, settings) -> new EdgeNGramFilterFactory(name, settings));
        filters.put("elision", requiresAnalysisSettings((indexSettings, env, name, settings) -> new ElisionFilterFactory(env, name, settings)));
        filters.put("german_normalization",
            (indexSettings, env, name, settings) -> new SimpleFilterFactory(name, settings, GermanNormalizationFilter::new));
        filters.put("stemmer", (indexSettings, env, name, settings) -> new StemmerFilterFactory(name, settings));
        filters.put("synonym_graph",
            requiresAnalysisSettings((indexSettings, env, name, settings) -> new SynonymGraphFilterFactory(env, name, settings)));
        return filters;
    }

    @Override
    public Map<String, AnalysisProvider<TokenizerFactory>> getTokenizers() {
        Map<String, AnalysisProvider<TokenizerFactory>> tokenizers = new TreeMap<>();
        tokenizers.put("edge_ngram", EdgeNGramTokenizerFactory::new);
        tokenizers.put("keyword", KeywordTokenizerFactory::new);
        return tokenizers;
    }

    @Override
    public Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> getAnalyzers() {
        Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> analyzers = new TreeMap<>();
        analyzers.put("dutch", language(DutchAnalyzer.getDefaultStopSet(), DutchAnalyzer::new));
        analyzers.put("english", language(EnglishAnalyzer.getDefaultStopSet(), EnglishAnalyzer::new));
        analyzers.put("french", language(FrenchAnalyzer.getDefaultStopSet(), FrenchAnalyzer::new));
        analyzers.put("german", language(GermanAnalyzer.getDefaultStopSet(), GermanAnalyzer::new));
        return analyzers;
    }

    /** A language analyzer with the {@code stopwords}, {@code stopwords_path} and {@code stem_exclusion} settings. */
    private static AnalysisProvider<AnalyzerProvider<? extends Analyzer>> language(
        CharArraySet defaultStopWords,
        BiFunction<CharArraySet, CharArraySet, Analyzer> constructor
    ) {
        return (indexSettings, env, name, settings) -> new LanguageAnalyzerProvider(
            name,
            settings,
            constructor.apply(
                Analysis.parseStopWords(env, settings, defaultStopWords),
                Analysis.parseStemExclusion(settings, CharArraySet.EMPTY_SET)
            )
        );
    }

    // The pre-configured variants are what a bare name (no settings) resolves to, as in production.

    @Override
    public List<PreConfiguredTokenFilter> getPreConfiguredTokenFilters() {
        return List.of(
            PreConfiguredTokenFilter.singleton("asciifolding", true, ASCIIFoldingFilter::new),
            PreConfiguredTokenFilter.singleton("edge_ngram", false, false, in -> new EdgeNGramTokenFilter(in, 1)),
            PreConfiguredTokenFilter.singleton("elision", true, in -> new ElisionFilter(in, FrenchAnalyzer.DEFAULT_ARTICLES)),
            PreConfiguredTokenFilter.singleton("german_normalization", true, GermanNormalizationFilter::new),
            PreConfiguredTokenFilter.singleton("stemmer", false, PorterStemFilter::new)
        );
    }

    @Override
    public List<PreConfiguredTokenizer> getPreConfiguredTokenizers() {
        return List.of(
            PreConfiguredTokenizer.singleton(
                "edge_ngram",
                () -> new EdgeNGramTokenizer(NGramTokenizer.DEFAULT_MIN_NGRAM_SIZE, NGramTokenizer.DEFAULT_MAX_NGRAM_SIZE)
            ),
            PreConfiguredTokenizer.singleton("keyword", KeywordTokenizer::new)
        );
    }

    @Override
    public List<PreBuiltAnalyzerProviderFactory> getPreBuiltAnalyzerProviderFactories() {
        return List.of(
            prebuilt("dutch", DutchAnalyzer::new),
            prebuilt("english", EnglishAnalyzer::new),
            prebuilt("french", FrenchAnalyzer::new),
            prebuilt("german", GermanAnalyzer::new)
        );
    }

    private static PreBuiltAnalyzerProviderFactory prebuilt(String name, Supplier<Analyzer> analyzer) {
        return new PreBuiltAnalyzerProviderFactory(name, CachingStrategy.LUCENE, analyzer);
    }
}
